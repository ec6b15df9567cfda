"""mips: program synthesis by reading algorithms out of trained recurrent networks."""

__version__ = "0.1.0"
