"""ACL at run time on a real dkv-server (Redis 7.2's ACL): users created with ACL SETUSER log in,
their refused commands and keys land in ACL LOG, ACL DELUSER closes their connections, CONFIG
REWRITE keeps them across a restart (under users:, as rules), and ACL SAVE / ACL LOAD keep them
in an aclfile in Redis' format."""

import os
import sys
import unittest

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from dkv_fixture import Server, free_port, server_binary  # noqa: E402


class AclRuntime(unittest.TestCase):
    def setUp(self):
        self.binary = server_binary()
        self.server = Server(self.binary, port=free_port(), prefix="dkv-acl-")
        self.dir = self.server.dir
        self.port = self.server.port
        self.conf = os.path.join(self.dir, "dkv.yaml")

    def tearDown(self):
        self.server.cleanup()

    def client(self, password=None, user=None):
        return redis.Redis(host="127.0.0.1", port=self.port, username=user, password=password,
                           socket_timeout=10)

    def start(self, password):
        self.server.password = password
        self.server.start(argv=[self.binary, self.conf])
        return self.client(password)

    def write_conf(self, extra=""):
        with open(self.conf, "w") as f:
            f.write(f'port: {self.port}\nbind: "127.0.0.1"\ndir: "{self.dir}"\nsave: ""\n'
                    f'requirepass: "adminpw"\n{extra}')

    def test_setuser_auth_log_rewrite_restart_and_deluser(self):
        self.write_conf()
        admin = self.start("adminpw")
        self.assertEqual(admin.execute_command(
            "ACL", "SETUSER", "app", "on", ">apppw", "~app:*", "+@all", "-flushdb",
            "(%R~shared:* +get)"), b"OK")
        app = self.client("apppw", "app")
        self.assertEqual(app.acl_whoami(), "app")
        self.assertTrue(app.set("app:1", "v"))
        with self.assertRaisesRegex(redis.exceptions.NoPermissionError, "access a key"):
            app.set("other", "v")
        with self.assertRaisesRegex(redis.exceptions.NoPermissionError, "'flushdb' command"):
            app.flushdb()
        self.assertIsNone(app.get("shared:x"))   # the selector allows reading it
        with self.assertRaisesRegex(redis.exceptions.NoPermissionError, "access a key"):
            app.set("shared:x", "v")
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "WRONGPASS"):
            self.client("wrong", "app").ping()
        log = admin.acl_log()
        self.assertEqual([e["reason"] for e in log], ["auth", "key", "command", "key"])
        # redis.acl_check_cmd answers for the script's user, and logs nothing.
        check = "return redis.acl_check_cmd(unpack(ARGV))"
        self.assertEqual(app.eval(check, 0, "set", "app:2", "v"), 1)
        self.assertIsNone(app.eval(check, 0, "set", "other", "v"))
        self.assertIsNone(app.eval(check, 0, "flushdb"))
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "Invalid command passed"):
            app.eval(check, 0, "no-such-command")
        self.assertEqual(len(admin.acl_log()), len(log))
        self.assertEqual(log[1]["object"], "shared:x")
        self.assertEqual(log[2]["object"], "flushdb")
        self.assertEqual(log[2]["client-info"]["user"], "app")   # redis-py parses the line
        listing = admin.execute_command("ACL", "LIST")
        # CONFIG REWRITE writes the users as rules; a restart on the file brings them back.
        self.assertEqual(admin.execute_command("CONFIG", "REWRITE"), b"OK")
        with open(self.conf) as f:
            self.assertIn("- name: \"app\"", f.read())
        app.close()
        admin.close()
        self.server.stop(timeout=20)
        admin = self.start("adminpw")
        self.assertEqual(admin.execute_command("ACL", "LIST"), listing)
        app = self.client("apppw", "app")
        self.assertTrue(app.set("app:2", "v"))
        # ACL DELUSER closes the user's connections.
        self.assertEqual(admin.execute_command("ACL", "DELUSER", "app"), 1)
        # Closed: redis-py sees the close, or reconnects and its AUTH is refused.
        with self.assertRaises((redis.exceptions.ConnectionError, redis.exceptions.ResponseError)):
            app.ping()
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "WRONGPASS"):
            self.client("apppw", "app").ping()
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "cannot be removed"):
            admin.execute_command("ACL", "DELUSER", "default")

    def test_aclfile_save_and_load(self):
        aclfile = os.path.join(self.dir, "users.acl")
        with open(aclfile, "w") as f:
            f.write("user default on nopass ~* &* +@all\n")
        self.write_conf(f'aclfile: "{aclfile}"\n')
        admin = self.start(None)
        admin.execute_command("ACL", "SETUSER", "bob", "on", ">bobpw", "~b*", "-@all", "+get")
        admin.execute_command("ACL", "SETUSER", "default", "resetpass", ">adminpw")
        self.assertEqual(admin.execute_command("ACL", "SAVE"), b"OK")
        with open(aclfile) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertTrue(lines[0].startswith("user bob on #"))
        self.assertTrue(lines[0].endswith(" ~b* resetchannels -@all +get"))
        admin.close()
        self.server.stop(timeout=20)
        admin = self.start("adminpw")   # the aclfile's default user, not requirepass alone
        bob = self.client("bobpw", "bob")
        self.assertIsNone(bob.get("b1"))
        with open(aclfile, "a") as f:
            f.write("user carol on nopass ~* +@all\n")
        self.assertEqual(admin.execute_command("ACL", "LOAD"), b"OK")
        self.assertEqual(sorted(admin.acl_users()), ["bob", "carol", "default"])
        with open(aclfile, "a") as f:
            f.write("user carol on nopass ~* +@all\n")
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "Duplicate user 'carol'"):
            admin.execute_command("ACL", "LOAD")
        self.assertEqual(sorted(admin.acl_users()), ["bob", "carol", "default"])


if __name__ == "__main__":
    unittest.main()
