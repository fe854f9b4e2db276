from envbuild.cli.app import main

main()
