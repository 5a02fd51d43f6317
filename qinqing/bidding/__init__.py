"""Remote cross-site bid evaluation: expert draws, seating and scoring (远程异地 + 工位制评标)."""
