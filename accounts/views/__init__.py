"""The people pages and the school admin's API-key pages."""
