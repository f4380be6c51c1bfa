
from . import main
