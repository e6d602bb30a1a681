from trialatlas.cli import main

main()
