#!/usr/bin/env bash
# Starts the demo's stand-in for remote nodes: an sshd on 127.0.0.1:22022 only, with
# throw-away host and user keys under DIR, logging in the unprivileged user nbdemo. Prints
# the sshd's PID. Nothing listens on any other address.
#   demo-sshd.sh DIR [USER [SHELL]]   (bench/remote.sh: another user, or root with its key)
set -euo pipefail
dir=$1
user=${2:-nbdemo}
shell=${3:-/bin/sh}
port=22022
mkdir -p "$dir"
root_login=no
if [[ $user == root ]]; then
  root_login=prohibit-password
else
  if ! id "$user" >/dev/null 2>&1; then useradd --system --create-home --shell "$shell" "$user"; fi
  usermod -p '*' "$user"  # no password, not locked: sshd without PAM refuses locked accounts
fi
ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" <<<y >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519" <<<y >/dev/null
cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
chmod 755 "$dir"
cat > "$dir/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
AllowUsers $user
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin $root_login
LogLevel ERROR
Subsystem sftp internal-sftp
CONF
mkdir -p /run/sshd
/usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
for _ in $(seq 100); do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then cat "$dir/sshd.pid"; exit 0; fi
  sleep 0.1
done
echo "sshd did not start on 127.0.0.1:$port (see $dir/sshd.log)" >&2
exit 1
