from okrbot.cli import main

raise SystemExit(main())
