"""planner serve: the web workplace over a data folder (issue 16)."""

from __future__ import annotations

from pathlib import Path

import click

DEFAULT_DATA = Path("planner-data")

data_option = click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DATA,
                           show_default=True, metavar="DIR",
                           help="数据目录：DIR/output 为方案输出目录，DIR/web.db 为账户和操作记录。")


@click.command(short_help="启动网页工作台（企业清单、方案、审核、走访诉求）。")
@click.option("--host", default="127.0.0.1", show_default=True, metavar="ADDR",
              help="监听地址；局域网内访问时一般放在反向代理之后，仍只监听 127.0.0.1。")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, metavar="PORT",
              help="监听端口。")
@data_option
@click.option("--demo", "demo_from", type=click.Path(file_okay=False, exists=True, path_type=Path), metavar="OUTPUT",
              help="演示：把 OUTPUT（示例的输出目录，如 output）复制到数据目录（不写 --data 时为 demo-data/），"
                   "为每个角色建一个演示账户并显示一次性密码，再启动工作台。再次运行时重建该演示目录。")
@click.pass_context
def serve(ctx, host, port, data_dir: Path, demo_from):
    """启动网页工作台：经信部门、包联干部、审核人和承办部门各自登录，只看到自己范围内的企业和诉求。

    DIR/output 是 planner generate 的输出目录（planner generate 名单 --out DIR/output 即可更新）；账户、
    登录会话和操作记录在 DIR/web.db，会话签名密钥在 DIR/secret（首次启动时生成）。账户用 planner users
    管理。所有页面和脚本都由本程序提供，不访问外网。
    """
    import uvicorn

    from planner.web import create_app

    if demo_from is not None:
        from click.core import ParameterSource

        from planner.web import demo

        if ctx.get_parameter_source("data_dir") is ParameterSource.DEFAULT:
            data_dir = demo.DEFAULT_DATA
        made = demo.build(data_dir, demo_from)
        click.echo(f"演示数据目录 {data_dir}：由 {demo_from} 复制而来（每次运行重建，之前的演示操作和密码作废）")
        click.echo("演示账户（一次性密码，首次登录后须修改）：\n" + demo.table(made) + "\n")
    app = create_app(data_dir)
    users = app.state.accounts.all()
    click.echo(f"一企一策工作台：http://{host}:{port}/ （数据目录 {data_dir}，按 Ctrl+C 停止）")
    if not users:
        click.echo(f"注意：还没有账户，请先运行 planner users add 用户名 --role admin --data {data_dir}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, proxy_headers=True)
