import CCapstone
