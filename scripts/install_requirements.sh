#!/usr/bin/env bash
# install_requirements VENV_PYTHON REQUIREMENTS_FILE: installs a pinned requirements file into a
# virtualenv. Uses uv (installed into that venv from PyPI) when it can, as it installs our ~200
# packages in seconds where pip takes minutes; falls back to pip when uv cannot be installed or
# fails (an unusual platform, a proxy only pip is configured for). Sourced by scripts/bootstrap.sh
# and scripts/phoenix_venv.sh.
# --compile-bytecode writes the .pyc files at install time, as pip does: without them a machine
# that sets PYTHONDONTWRITEBYTECODE (this one does) compiles ZenML, Streamlit and the rest again
# in every process, about 5 s more per `import zenml`.
UV_VERSION=0.13.9

install_requirements() {
  local python="$1" requirements="$2"
  if "$python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" >/dev/null 2>&1 \
    && "$python" -m uv pip install --quiet --compile-bytecode --python "$python" \
      -r "$requirements"; then
    return 0
  fi
  echo "uv was not usable here; installing with pip instead ..." >&2
  "$python" -m pip install --quiet --upgrade pip
  "$python" -m pip install --quiet -r "$requirements"
}
