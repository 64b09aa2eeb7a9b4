"""Calendar: events in rooms; a room is never booked twice at once."""
