"""Messages look different by level; a field's errors sit beside it and are announced."""

import re

import pytest
from django import forms
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.template.loader import render_to_string
from django.utils import translation


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def test_each_message_level_has_its_class_word_and_role():
    html = render_to_string(
        "core/_messages.html",
        {
            "messages": [
                Message(constants.SUCCESS, "已保存"),
                Message(constants.WARNING, "即将到期"),
                Message(constants.ERROR, "保存失败"),
                Message(constants.INFO, "请注意"),
            ]
        },
    )
    paragraphs = re.findall(r'<p class="msg (\w+)" role="(\w+)"><span class="msg-kind">(\w+)', html)
    assert paragraphs == [
        ("success", "status", "成功"),
        ("warning", "alert", "注意"),
        ("error", "alert", "错误"),
        ("info", "status", "提示"),
    ]
    assert render_to_string("core/_messages.html", {"messages": []}).strip() == ""


class _Form(forms.Form):
    phone = forms.CharField(label="联系电话", help_text="手机或座机")
    text = forms.CharField(label="诉求内容")
    secret = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        raise forms.ValidationError("整张表单的错误")


def test_a_field_shows_its_error_beside_it_announced_and_linked():
    form = _Form(data={"phone": "", "text": "有内容"})
    assert not form.is_valid()
    html = render_to_string("core/_field.html", {"field": form["phone"]})
    assert 'class="field has-error"' in html
    assert '<label for="id_phone">' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_phone_helptext id_phone_error"' in html
    assert 'id="id_phone_helptext"' in html and "手机或座机" in html
    error = re.search(r'<ul class="errorlist" role="alert" id="id_phone_error">(.*?)</ul>', html)
    assert error and "这个字段是必填项。" in error.group(1)
    # the error comes after its input, inside the field's own box
    assert html.index('name="phone"') < html.index('id_phone_error"><li>')

    valid = render_to_string("core/_field.html", {"field": form["text"]})
    assert "has-error" not in valid and "errorlist" not in valid and "aria-invalid" not in valid
    hidden = render_to_string("core/_field.html", {"field": form["secret"]}).strip()
    assert hidden.startswith('<input type="hidden"') and "<label" not in hidden

    whole = render_to_string("core/_form_errors.html", {"form": form})
    assert 'role="alert"' in whole and "整张表单的错误" in whole


@pytest.mark.django_db
def test_the_public_needs_form_announces_its_errors_beside_the_fields(client, demo_users):
    from io import StringIO

    from qinqing.needs import demo
    from qinqing.needs.models import QrCode

    demo.load(stdout=StringIO())
    qr = QrCode.objects.filter(is_active=True).first()
    response = client.post(f"/needs/q/{qr.key}/", {"uscc": "", "phone": "", "text": ""})
    html = response.content.decode()
    assert response.status_code in (200, 400)
    assert 'aria-invalid="true"' in html
    assert '<ul class="errorlist" role="alert" id="id_phone_error">' in html
