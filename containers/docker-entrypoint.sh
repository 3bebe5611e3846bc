#!/bin/sh
# Docker/Podman entry point: sources the .def's %environment (installed by the Dockerfile) and
# runs the given command, as `apptainer exec` does:
#   docker run permrsa permrsa run          docker run permrsa mpirun -n 2 permrsa run
# shellcheck disable=SC1090  # the .def's %environment, installed by the Dockerfile
for f in /.singularity.d/env/*.sh; do . "$f"; done
exec "$@"
