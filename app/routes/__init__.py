"""The thin HTTP layer: parse the form, call one service, answer a page or a fragment."""
