"""The simulator's entry point: serve a scenario's simulated Windows hosts until interrupted (see winsim.fleet).

python -m winsim --scenario S.yml --inventory inventory.yml --state state.json
"""

import sys

from winsim.fleet import main

sys.exit(main())
