"""The rules of the forum. Functions over a session; never a Request."""
