from ksd_agreement.app import main

main()
