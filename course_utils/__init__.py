"""Helpers for the course "CNNs for Semantic Segmentation".

One small module per lecture concept; notebooks derive an idea in the narrative first and then
import it from here.
"""

__version__ = "0.1.0"
