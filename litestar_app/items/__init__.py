"""Items: the full REST concept set (CRUD, filters, uploads, export, pages)."""
