from healthcode.cli import main

main()
