"""Evaluations: each measures a product capability against labels and a plain baseline."""
