"""Booking: appointments made from the chat, safe against double booking, confirmed, reminded and synced."""
