from ksd_reporting.app import main

main()
