"""The mlops-platform stack program: validated config in, composed components out."""
