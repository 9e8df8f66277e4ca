"""Territory and people: the region, its RLS, GMFs, sites, physicians, IPS-SPL, patients,
their registrations and the GAMF waiting list."""
