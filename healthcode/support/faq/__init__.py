"""The FAQ engine: questions and answers searched in zh and en."""
