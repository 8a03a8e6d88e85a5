from base64 import b32encode

import qrcode
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "为工作人员账号设置身份验证器（TOTP 动态验证码），在终端打印二维码和密钥。"
        "生产环境登录后台需要动态验证码；设备丢失时用 --replace 重新设置。"
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="工作人员的用户名")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="删除该账号已有的身份验证器，换一个新的（设备丢失或更换手机时）。",
        )

    def handle(self, *args, username, replace, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有用户名为 {username} 的账号。")
        if not user.is_staff:
            raise CommandError(f"{username} 不是工作人员账号；只有登录后台的账号需要动态验证码。")
        with transaction.atomic():
            devices = TOTPDevice.objects.devices_for_user(user, confirmed=None)
            if devices.exists() and not replace:
                raise CommandError(
                    f"{username} 已有身份验证器。设备丢失或更换时，请加 --replace 重新设置。"
                )
            devices.delete()
            device = TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=True)
        secret = b32encode(device.bin_key).decode()
        self.stdout.write(f"已为 {username} 设置身份验证器。请用手机上的身份验证器应用扫描：\n")
        code = qrcode.QRCode(border=1)
        code.add_data(device.config_url)
        code.print_ascii(out=self.stdout, invert=True)
        self.stdout.write(f"\n无法扫描时手动输入密钥：{secret}")
        self.stdout.write(f"链接：{device.config_url}")
        self.stdout.write("此后登录后台时，除密码外还需输入应用显示的 6 位动态验证码。")
