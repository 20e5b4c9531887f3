import sys

from .letterbox_deploy import main

sys.exit(main())
