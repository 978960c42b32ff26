import pathlib
import sys

# The fixture is one file one folder up; a project using it copies that file or adds its folder to sys.path.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

pytest_plugins = ["sfdest_fixture"]
