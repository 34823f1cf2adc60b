from ksd_mapping.app import main

main()
