"""The industry templates: documents, demo data, gallery, instantiate, upgrade."""
