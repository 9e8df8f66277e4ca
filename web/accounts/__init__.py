"""Users, their role and territory, the access rules, and login."""
