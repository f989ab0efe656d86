# shellcheck shell=bash
# Sourced by scripts/dist.sh: `cross_setup TRIPLE` makes cargo able to build a
# static msbc for TRIPLE on this machine, or says why not on stderr and
# returns 1.
# For aarch64 on another host: Rust's std for the target (rustup target add),
# and Debian's cross toolchain (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross:
# the linker and a static glibc), installed with apt-get when we are root and
# it is missing. The linker is set for this build only
# (CARGO_TARGET_<TRIPLE>_LINKER), never in a cargo config.
# `cross_runner TRIPLE` prints the command that runs a binary for TRIPLE here
# (empty for the host; qemu-aarch64-static from Debian's qemu-user-static), or
# returns 1.

cross_host() { rustc -vV | sed -n 's/^host: //p'; }

cross_setup() { # TRIPLE
    local why
    why="$(cross_install "$1")" || { echo "error: cannot build for $1: $why" >&2; return 1; }
    [ "$1" = "$(cross_host)" ] && return 0
    local var gcc
    gcc="$(cross_gcc "$1")"
    var="CARGO_TARGET_$(echo "$1" | tr 'a-z-' 'A-Z_')_LINKER"
    export "$var=${!var:-$gcc}"
}

cross_gcc() { # TRIPLE
    case "$1" in
        aarch64-unknown-linux-gnu) echo aarch64-linux-gnu-gcc ;;
        x86_64-unknown-linux-gnu) echo x86_64-linux-gnu-gcc ;;
    esac
}

# Installs what building for TRIPLE needs; prints why not and returns 1.
cross_install() { # TRIPLE
    local triple="$1" gcc pkgs
    [ "$triple" = "$(cross_host)" ] && return 0
    gcc="$(cross_gcc "$triple")"
    case "$triple" in
        aarch64-unknown-linux-gnu) pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross" ;;
        x86_64-unknown-linux-gnu) pkgs="gcc-x86-64-linux-gnu libc6-dev-amd64-cross" ;;
        *) echo "no cross build set up for $triple (aarch64-unknown-linux-gnu, x86_64-unknown-linux-gnu)"; return 1 ;;
    esac
    if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx "$triple"; then
        rustup target add "$triple" >/dev/null 2>&1 ||
            { echo "Rust's std for $triple is missing and \`rustup target add $triple\` failed"; return 1; }
    fi
    if ! command -v "$gcc" >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "installing $pkgs (apt-get)" >&2
            # shellcheck disable=SC2086 # one word a package
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs; } >/dev/null 2>&1 || true
        fi
        command -v "$gcc" >/dev/null 2>&1 ||
            { echo "no $gcc (Debian: apt-get install $pkgs)"; return 1; }
    fi
}

cross_runner() { # TRIPLE
    local triple="$1"
    [ "$triple" = "$(cross_host)" ] && return 0
    case "$triple" in
        aarch64-*) command -v qemu-aarch64-static || command -v qemu-aarch64 || return 1 ;;
        x86_64-*) command -v qemu-x86_64-static || command -v qemu-x86_64 || return 1 ;;
        *) return 1 ;;
    esac
}

# The Rust target and Debian/OCI architecture of a platform (linux/amd64, linux/arm64).
platform_triple() { # PLATFORM
    case "$1" in
        linux/amd64) echo x86_64-unknown-linux-gnu ;;
        linux/arm64 | linux/arm64/v8) echo aarch64-unknown-linux-gnu ;;
        *) echo "error: unsupported platform $1 (linux/amd64, linux/arm64)" >&2; return 1 ;;
    esac
}
platform_arch() { # PLATFORM
    case "$1" in
        linux/amd64) echo amd64 ;;
        linux/arm64 | linux/arm64/v8) echo arm64 ;;
        *) echo "error: unsupported platform $1 (linux/amd64, linux/arm64)" >&2; return 1 ;;
    esac
}

# Builds the static msbc for PLATFORM with scripts/dist.sh (profile PROFILE), or takes BIN when
# given, and copies it stripped of debug info and symbols (a third of the size: images need
# neither) to OUT; the strip for that architecture is used when installed.
image_binary() { # PROFILE PLATFORM OUT [BIN]
    local profile="$1" platform="$2" out="$3" bin="${4:-}" triple strip
    triple="$(platform_triple "$platform")" || return 1
    if [ -z "$bin" ]; then
        bin="$(bash "$(dirname "${BASH_SOURCE[0]}")/dist.sh" --profile "$profile" --target "$triple")" || return 1
    fi
    if readelf -lW "$bin" 2>/dev/null | grep -q 'INTERP'; then
        echo "error: $bin is dynamically linked; the image needs a static binary" >&2
        return 1
    fi
    strip=strip
    if [ "$triple" != "$(cross_host)" ]; then
        strip="$(cross_gcc "$triple")"
        strip="${strip%gcc}strip"
    fi
    if ! { command -v "$strip" >/dev/null 2>&1 && "$strip" -o "$out" "$bin" 2>/dev/null; }; then
        cp "$bin" "$out"
    fi
}

# image_platforms PREFIX: the platforms an image script builds, into the
# array `platforms`: ${PREFIX}_PLATFORMS (comma-separated), else linux/amd64
# and linux/arm64, or linux/amd64 alone when ${PREFIX}_BIN (one prebuilt
# binary) is set; exits 2 when that binary is given more than one platform.
image_platforms() { # PREFIX
    local bin_var="${1}_BIN" platforms_var="${1}_PLATFORMS" default=linux/amd64,linux/arm64
    [ -n "${!bin_var:-}" ] && default=linux/amd64
    IFS=, read -r -a platforms <<<"${!platforms_var:-$default}"
    if [ -n "${!bin_var:-}" ] && [ "${#platforms[@]}" -ne 1 ]; then
        echo "error: $bin_var is one binary: give one platform in $platforms_var" >&2
        exit 2
    fi
}
