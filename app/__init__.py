"""Peer Bearing: an anonymous forum for people in recovery."""
