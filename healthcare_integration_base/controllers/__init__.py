from . import main
from . import extract
