"""mips: program synthesis by reading algorithms out of trained recurrent networks."""

from mips import jaxsetup

__version__ = "0.1.0"

jaxsetup.prepare()  # before JAX starts: the CPU devices the training bank is split over
