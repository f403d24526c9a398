"""Use cases shared by the web pages and the JSON API."""
