"""The HTTP edge both front ends share: deps, security, errors, views."""
