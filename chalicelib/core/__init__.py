"""What both functions share: settings, AWS clients, forms, ids and storage."""
