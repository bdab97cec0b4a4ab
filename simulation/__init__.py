"""Agent-based simulation of the alliance premium."""
