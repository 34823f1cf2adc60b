#!/usr/bin/env bash
# The broker of docker-compose.yml, configured as deploy/local/kafka.sh configures the local one:
# the platform's server.properties (mounted), SASL/SCRAM-SHA-512 for every client, the users of
# `python -m ksd_common.access kafka-users` (written to /access/kafka-users by the `kafka-users`
# job) added when the storage is formatted.
set -euo pipefail
users=/access/kafka-users
secret=$(awk '$1 == "ksd_setup" {print $2}' "$users")
config=/tmp/server.properties
{ cat /opt/ksd/server.properties
  # Containers reach kafka:9092; the host reaches 127.0.0.1:9092 (published from 19092).
  echo "listeners=SASL_PLAINTEXT://:9092,CONTROLLER://:9093,HOST://:19092"
  echo "advertised.listeners=SASL_PLAINTEXT://kafka:9092,HOST://127.0.0.1:9092"
  echo "listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT,HOST:SASL_PLAINTEXT"
  echo "controller.quorum.voters=1@kafka:9093"
  echo "listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"ksd_setup\" password=\"$secret\" user_ksd_setup=\"$secret\";"
  for listener in sasl_plaintext host; do
    echo "listener.name.$listener.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"ksd_setup\" password=\"$secret\";"
  done
  echo "log.dirs=/var/lib/kafka/data"
} >"$config"
scram=()
while read -r user password; do scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$password]"); done <"$users"
/opt/kafka/bin/kafka-storage.sh format --cluster-id h454UzoHTpWBabBs5pjk7A --config "$config" --ignore-formatted "${scram[@]}"
exec /opt/kafka/bin/kafka-server-start.sh "$config"
