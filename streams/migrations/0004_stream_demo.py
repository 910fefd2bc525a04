from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("streams", "0003_trust_roles_ordering"),
    ]

    operations = [
        migrations.AddField(
            model_name="stream",
            name="demo",
            field=models.BooleanField(
                default=False,
                help_text="Made by the first `make run` to show the product on a sample clip; “Remove demo streams” "
                "on the wall deletes every such stream.",
            ),
        ),
    ]
