"""Gate decisions signed with SSH keys (`ssh-keygen -Y sign`), verified against an allowed_signers file."""
