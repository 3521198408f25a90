"""Contract compatibility layer: code that exists only to meet the shared contract.

Feature folders stay idiomatic framework code; each shim here names the contract decision
(``contract_tests/CONTRACT.md``) it serves.
"""
