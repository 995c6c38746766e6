"""Docker engines of their own, in containers: nodes for a local swarm, and for tests
that must not disturb the host's engine (chaos, registry). See ``node``.
"""
