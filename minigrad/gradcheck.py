"""``mg.gradcheck`` lives in the autograd package (``mg.autograd.gradcheck``); this module keeps the old import
path working."""
from .autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]
