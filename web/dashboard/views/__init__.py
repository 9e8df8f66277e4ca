"""The dashboard's pages, one module per feature: the home page, an RLS, a patient."""
