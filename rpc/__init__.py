"""The RPC Broker (XWB): sans-IO protocol core, clients, sign-on, pool and simulator."""
