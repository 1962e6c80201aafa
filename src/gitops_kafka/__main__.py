from gitops_kafka.cli import main

raise SystemExit(main())
