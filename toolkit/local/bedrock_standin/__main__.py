"""`python -m toolkit.local.bedrock_standin`: serve on loopback until SIGTERM."""

from .server import main

raise SystemExit(main())
