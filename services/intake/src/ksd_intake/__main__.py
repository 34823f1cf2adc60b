from ksd_intake.app import main

main()
