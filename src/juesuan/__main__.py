from juesuan.cli.main import main

raise SystemExit(main())
